package dev.cairn.server.search.embed;

/** L2 normalisation with the checks that keep a NaN or a zero vector out of the index. */
final class Vectors {
  private Vectors() {}

  /** Scales {@code v} in place to unit length; refuses one that is zero or not finite. */
  static float[] normalise(float[] v, String source) {
    double sum = 0;
    for (float x : v) {
      sum += (double) x * x;
    }
    if (!Double.isFinite(sum) || sum == 0) {
      throw new EmbeddingException(
          source + " returned a " + (sum == 0 ? "zero" : "non-finite") + " vector", false);
    }
    float inv = (float) (1 / Math.sqrt(sum));
    for (int i = 0; i < v.length; i++) {
      v[i] *= inv;
    }
    return v;
  }
}
