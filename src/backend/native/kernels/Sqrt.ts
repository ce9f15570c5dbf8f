import { unaryKernel } from './unary_impl.ts';

export const sqrtConfig = unaryKernel('Sqrt');
