import { unaryKernel } from './unary_impl.ts';

export const logConfig = unaryKernel('Log');
