import { unaryKernel } from './unary_impl.ts';

export const softplusConfig = unaryKernel('Softplus');
