import { unaryKernel } from './unary_impl.ts';

export const sigmoidConfig = unaryKernel('Sigmoid');
