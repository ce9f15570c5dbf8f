// Zero gradients for kernels with boolean outputs. tfjs-core's first-order gradients of max, min,
// maximum, minimum, where, ... build masks with these kernels from the (differentiated) inputs, so a
// gradient of those gradients walks through them and failed with "gradient function not found for Equal".
// Their outputs are piecewise constant: the derivative is zero almost everywhere.
import { tf } from './tf-core.ts';

const BINARY = ['Equal', 'NotEqual', 'Greater', 'Less', 'LessEqual', 'LogicalAnd', 'LogicalOr', 'LogicalXor'];
const UNARY = ['LogicalNot'];

function zeros(t: tf.Tensor): tf.Tensor {
  return tf.zeros(t.shape, 'float32');
}

export const comparisonGradConfigs: tf.GradConfig[] = [
  ...BINARY.map(
    (kernelName): tf.GradConfig => ({
      kernelName,
      inputsToSave: ['a', 'b'],
      gradFunc: (_dy, saved) => {
        const [a, b] = saved;
        return { a: () => zeros(a), b: () => zeros(b) };
      },
    }),
  ),
  ...UNARY.map(
    (kernelName): tf.GradConfig => ({
      kernelName,
      inputsToSave: ['x'],
      gradFunc: (_dy, saved) => {
        const [x] = saved;
        return { x: () => zeros(x) };
      },
    }),
  ),
];
