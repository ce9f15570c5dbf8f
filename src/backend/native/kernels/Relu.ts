import { unaryKernel } from './unary_impl.ts';

export const reluConfig = unaryKernel('Relu');
