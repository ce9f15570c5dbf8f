import { unaryKernel } from './unary_impl.ts';

export const expConfig = unaryKernel('Exp');
