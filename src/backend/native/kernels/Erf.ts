import { unaryKernel } from './unary_impl.ts';

export const erfConfig = unaryKernel('Erf');
