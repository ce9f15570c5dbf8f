import { unaryKernel } from './unary_impl.ts';

export const eluConfig = unaryKernel('Elu');
