import { unaryKernel } from './unary_impl.ts';

export const negConfig = unaryKernel('Neg');
