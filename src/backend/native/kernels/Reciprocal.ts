import { unaryKernel } from './unary_impl.ts';

export const reciprocalConfig = unaryKernel('Reciprocal');
