package dev.cairn.server.search.embed;

import java.nio.FloatBuffer;

/** How a model's per-token hidden states become one sentence vector. */
enum Pooling {
  /** The hidden state of the first token ([CLS]). */
  CLS {
    @Override
    float[] pool(FloatBuffer hidden, int row, int seqLen, int dims, long[] mask) {
      float[] out = new float[dims];
      hidden.get(row * seqLen * dims, out);
      return out;
    }
  },

  /** The mean of the hidden states of the real (unmasked) tokens; padding does not count. */
  MEAN {
    @Override
    float[] pool(FloatBuffer hidden, int row, int seqLen, int dims, long[] mask) {
      float[] out = new float[dims];
      int counted = 0;
      for (int t = 0; t < seqLen; t++) {
        if (mask[row * seqLen + t] == 0) {
          continue;
        }
        int base = (row * seqLen + t) * dims;
        for (int d = 0; d < dims; d++) {
          out[d] += hidden.get(base + d);
        }
        counted++;
      }
      for (int d = 0; d < dims; d++) {
        out[d] /= Math.max(counted, 1);
      }
      return out;
    }
  };

  /**
   * The vector of batch row {@code row} from the flat [batch, seqLen, dims] hidden states and the
   * flat [batch, seqLen] attention mask.
   */
  abstract float[] pool(FloatBuffer hidden, int row, int seqLen, int dims, long[] mask);
}
