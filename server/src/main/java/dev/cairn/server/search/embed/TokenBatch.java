package dev.cairn.server.search.embed;

import ai.djl.huggingface.tokenizers.Encoding;
import java.util.List;

/**
 * One model call's input: the passages' token ids padded with zeros to the longest in the
 * batch, flattened row by row, with the attention mask marking the real tokens.
 */
record TokenBatch(int rows, int seqLen, long[] ids, long[] typeIds, long[] mask) {

  static TokenBatch of(List<Encoding> encodings) {
    int rows = encodings.size();
    int seqLen = 0;
    for (Encoding e : encodings) {
      seqLen = Math.max(seqLen, e.getIds().length);
    }
    long[] ids = new long[rows * seqLen];
    long[] typeIds = new long[rows * seqLen];
    long[] mask = new long[rows * seqLen];
    for (int r = 0; r < rows; r++) {
      Encoding e = encodings.get(r);
      long[] rowIds = e.getIds();
      System.arraycopy(rowIds, 0, ids, r * seqLen, rowIds.length);
      System.arraycopy(e.getTypeIds(), 0, typeIds, r * seqLen, rowIds.length);
      java.util.Arrays.fill(mask, r * seqLen, r * seqLen + rowIds.length, 1L);
    }
    return new TokenBatch(rows, seqLen, ids, typeIds, mask);
  }
}
