import { unaryKernel } from './unary_impl.ts';

export const sinConfig = unaryKernel('Sin');
