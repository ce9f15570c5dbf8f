import { unaryKernel } from './unary_impl.ts';

export const signConfig = unaryKernel('Sign');
