package dev.cairn.server.vault.records;

/**
 * A top-level record field a collection declares queryable, with the JSON type its schema
 * gives it (which column of record_values holds it, and which operators make sense).
 *
 * @param array the field is an array of {@code type} (one record_values row per element)
 */
record QueryableField(String name, Type type, boolean array) {

  /** The JSON type, as the schema's {@code type}/{@code format} say. */
  enum Type {
    NUMBER,
    STRING,
    /** A string with {@code "format": "date-time"}: also indexed as a timestamp. */
    DATE_TIME,
    BOOLEAN,
    /** The schema does not say: values are indexed by their JSON type. */
    ANY
  }
}
