package dev.cairn.server.search.embed;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.List;

/** The JSON of OpenAI's {@code POST /v1/embeddings}: request, response and error bodies. */
final class OpenAiWire {
  private OpenAiWire() {}

  static String request(String model, List<String> inputs) {
    JsonObject body = new JsonObject();
    body.addProperty("model", model);
    JsonArray input = new JsonArray(inputs.size());
    inputs.forEach(input::add);
    body.add("input", input);
    return body.toString();
  }

  /**
   * The vectors of a 200 response, in input order: the API names each one's input by {@code
   * index}, and does not promise to list them in that order.
   */
  static float[][] vectors(String body, int inputs, int dimensions) {
    float[][] out = new float[inputs][];
    try {
      JsonArray data = JsonParser.parseString(body).getAsJsonObject().getAsJsonArray("data");
      if (data == null || data.size() != inputs) {
        throw malformed((data == null ? "no" : data.size()) + " embeddings for " + inputs + " inputs");
      }
      for (JsonElement element : data) {
        JsonObject item = element.getAsJsonObject();
        int index = item.get("index").getAsInt();
        if (index < 0 || index >= inputs || out[index] != null) {
          throw malformed("index " + index + " is out of range or repeated");
        }
        out[index] = vector(item.getAsJsonArray("embedding"), dimensions);
      }
      return out;
    } catch (RuntimeException e) {
      if (e instanceof EmbeddingException known) {
        throw known;
      }
      throw new EmbeddingException("embedding API returned a malformed response", false, e);
    }
  }

  private static float[] vector(JsonArray embedding, int dimensions) {
    if (embedding == null || embedding.size() != dimensions) {
      throw malformed("an embedding of " + (embedding == null ? 0 : embedding.size())
          + " dimensions (expected: " + dimensions + ")");
    }
    float[] v = new float[dimensions];
    for (int d = 0; d < dimensions; d++) {
      v[d] = embedding.get(d).getAsFloat();
    }
    return Vectors.normalise(v, "embedding API");
  }

  /** The server's own explanation from an OpenAI error body, cut short, or "" if none. */
  static String errorMessage(String body) {
    try {
      JsonObject error = JsonParser.parseString(body).getAsJsonObject().getAsJsonObject("error");
      String message = error.get("message").getAsString();
      return message.length() > 300 ? message.substring(0, 300) + "…" : message;
    } catch (RuntimeException e) {
      return "";
    }
  }

  private static EmbeddingException malformed(String what) {
    return new EmbeddingException("embedding API returned " + what, false);
  }
}
