package dev.cairn.server.search.vector;

import static java.util.Objects.requireNonNull;

/** Checks a vector's length and values and returns a unit-length copy. */
final class Unit {
  private Unit() {}

  static float[] vector(float[] v, int dimensions, String field) {
    requireNonNull(v, field);
    if (v.length != dimensions) {
      throw new IllegalArgumentException(
          field + ": " + v.length + " dimensions (expected: " + dimensions + ")");
    }
    double sum = 0;
    for (float x : v) {
      sum += (double) x * x;
    }
    if (!Double.isFinite(sum)) {
      throw new IllegalArgumentException(field + ": has a NaN or infinite value (expected: finite numbers)");
    }
    if (sum == 0) {
      throw new IllegalArgumentException(field + ": all zeros (expected: a direction)");
    }
    float[] unit = new float[v.length];
    float inv = (float) (1 / Math.sqrt(sum));
    for (int i = 0; i < v.length; i++) {
      unit[i] = v[i] * inv;
    }
    return unit;
  }
}
