import { unaryKernel } from './unary_impl.ts';

export const tanhConfig = unaryKernel('Tanh');
