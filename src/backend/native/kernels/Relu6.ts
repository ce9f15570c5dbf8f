import { unaryKernel } from './unary_impl.ts';

export const relu6Config = unaryKernel('Relu6');
