package dev.cairn.server.vault.records;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.server.core.CairnException;
import dev.cairn.server.vault.records.Filter.And;
import dev.cairn.server.vault.records.Filter.Compare;
import dev.cairn.server.vault.records.Filter.Not;
import dev.cairn.server.vault.records.Filter.Op;
import dev.cairn.server.vault.records.Filter.Or;
import dev.cairn.server.vault.records.Filter.Value;
import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;

class FilterParserTest {

  private static Compare cmp(String field, Op op, Value value, int position) {
    return new Compare(field, op, value, position);
  }

  @Test
  void emptyFilterMatchesEverything() {
    assertThat(FilterParser.parse("")).isNull();
    assertThat(FilterParser.parse("   ")).isNull();
  }

  @Test
  void parsesEveryComparatorAndLiteral() {
    assertThat(FilterParser.parse("data.age >= 18")).isEqualTo(cmp("data.age", Op.GE, new Value.Number(new BigDecimal("18")), 0));
    assertThat(FilterParser.parse("data.x != -2.5e1")).isEqualTo(cmp("data.x", Op.NE, new Value.Number(new BigDecimal("-2.5e1")), 0));
    assertThat(FilterParser.parse("data.city = \"Os\\\"lo\"")).isEqualTo(cmp("data.city", Op.EQ, new Value.Text("Os\"lo"), 0));
    assertThat(FilterParser.parse("data.ok = true")).isEqualTo(cmp("data.ok", Op.EQ, new Value.Bool(true), 0));
    assertThat(FilterParser.parse("data.ok=false")).isEqualTo(cmp("data.ok", Op.EQ, new Value.Bool(false), 0));
    assertThat(FilterParser.parse("data.x = null")).isEqualTo(cmp("data.x", Op.EQ, new Value.Null(), 0));
    assertThat(FilterParser.parse("data.tags:*")).isEqualTo(cmp("data.tags", Op.HAS, new Value.Any(), 0));
    assertThat(FilterParser.parse("data.city = Oslo")).isEqualTo(cmp("data.city", Op.EQ, new Value.Text("Oslo"), 0));
    for (String op : List.of("<", "<=", ">", ">=", "=", "!=", ":")) {
      assertThat(FilterParser.parse("a " + op + " 1")).isInstanceOf(Compare.class);
    }
  }

  @Test
  void orBindsTighterThanAndAsInAip160() {
    Filter f = FilterParser.parse("a = 1 AND b = 2 OR c = 3");
    assertThat(f).isEqualTo(new And(List.of(
        cmp("a", Op.EQ, new Value.Number(BigDecimal.ONE), 0),
        new Or(List.of(
            cmp("b", Op.EQ, new Value.Number(new BigDecimal("2")), 10),
            cmp("c", Op.EQ, new Value.Number(new BigDecimal("3")), 19))))));
  }

  @Test
  void juxtapositionIsAndAndParenthesesGroup() {
    Filter f = FilterParser.parse("(a = 1 OR b = 2) c = 3");
    assertThat(f).isInstanceOf(And.class);
    assertThat(((And) f).parts().get(0)).isInstanceOf(Or.class);
    assertThat(((And) f).parts().get(1)).isEqualTo(cmp("c", Op.EQ, new Value.Number(new BigDecimal("3")), 17));
  }

  @Test
  void notAndMinusNegate() {
    assertThat(FilterParser.parse("NOT a = 1")).isEqualTo(new Not(cmp("a", Op.EQ, new Value.Number(BigDecimal.ONE), 4)));
    assertThat(FilterParser.parse("-a = 1")).isEqualTo(new Not(cmp("a", Op.EQ, new Value.Number(BigDecimal.ONE), 1)));
    assertThat(FilterParser.parse("NOT (a = 1 OR a = 2)")).isInstanceOf(Not.class);
  }

  @Test
  void syntaxErrorsNameThePosition() {
    assertError("data.age >=", "at position 11", "expected a value");
    assertError("data.age 18", "at position 9", "expected a comparator");
    assertError("a = 1 AND", "at position 9", "expected a field name");
    assertError("(a = 1", "at position 6", "expected ')'");
    assertError("a = 1)", "at position 5", "expected AND, OR or the end");
    assertError("a = \"open", "at position 4", "unterminated string");
    assertError("a ! 1", "at position 2", "expected '!='");
    assertError("a = 1 # b", "at position 6", "unexpected character '#'");
    assertError("a. = 1", "at position 3", "expected a field name after '.'");
    assertError("a = 12abc", "at position 4", "malformed number");
  }

  @Test
  void deepNestingIsRejectedNotAStackOverflow() {
    String deep = "(".repeat(1000) + "a = 1" + ")".repeat(1000);
    assertError(deep, "nested more than 32 levels");
  }

  private static void assertError(String filter, String... fragments) {
    assertThatThrownBy(() -> FilterParser.parse(filter))
        .isInstanceOfSatisfying(CairnException.class, e -> {
          assertThat(e.violations()).singleElement().satisfies(v -> {
            assertThat(v.getField()).isEqualTo("filter");
            assertThat(v.getDescription()).contains(fragments);
          });
        });
  }
}
