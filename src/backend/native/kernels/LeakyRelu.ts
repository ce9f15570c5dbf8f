import { unaryKernel } from './unary_impl.ts';

export const leakyReluConfig = unaryKernel('LeakyRelu', (a) => [Number(a.alpha ?? 0.2), 0]);
