package dev.cairn.server.jobs;

/**
 * Runs the jobs of one kind. It is called outside any transaction of the queue and opens its
 * own short transactions (as {@link ClaimedJob#principal()}), so a slow call to a model or a
 * network never holds a lock or a connection of the queue. Delivery is at least once (a
 * worker can die after the work and before recording it), so a handler must be idempotent.
 * Returning finishes the job; throwing fails this attempt (retried later, or dead-lettered).
 */
public interface JobHandler {
  /** The kind it runs, as in {@link Job#kind()}. */
  String kind();

  void run(ClaimedJob job) throws Exception;

  /** A handler from a kind and a function. */
  static JobHandler of(String kind, Body body) {
    if (!Job.KIND.matcher(kind).matches()) {
      throw new IllegalArgumentException("kind: " + kind + " (expected: [a-z][a-z0-9-]{0,62})");
    }
    return new JobHandler() {
      @Override
      public String kind() {
        return kind;
      }

      @Override
      public void run(ClaimedJob job) throws Exception {
        body.run(job);
      }
    };
  }

  /** A handler's work. */
  @FunctionalInterface
  interface Body {
    void run(ClaimedJob job) throws Exception;
  }
}
