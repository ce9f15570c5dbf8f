import { unaryKernel } from './unary_impl.ts';

// Step(x) = x > 0 ? 1 : alpha (the Relu gradient)
export const stepConfig = unaryKernel('Step', (a) => [Number(a.alpha ?? 0), 0]);
