import { unaryKernel } from './unary_impl.ts';

export const rsqrtConfig = unaryKernel('Rsqrt');
