import { unaryKernel } from './unary_impl.ts';

export const expm1Config = unaryKernel('Expm1');
