import { unaryKernel } from './unary_impl.ts';

export const cosConfig = unaryKernel('Cos');
