import { unaryKernel } from './unary_impl.ts';

export const log1pConfig = unaryKernel('Log1p');
