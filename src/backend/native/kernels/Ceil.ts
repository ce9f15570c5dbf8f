import { unaryKernel } from './unary_impl.ts';

export const ceilConfig = unaryKernel('Ceil');
