import { unaryKernel } from './unary_impl.ts';

export const absConfig = unaryKernel('Abs');
