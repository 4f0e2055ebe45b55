package dev.cairn.server.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.testing.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A pushed listener hands notifications over as they arrive; a sync on it still keeps its promise. */
class NotificationListenerTest {
  private static final Duration LONG_HEARTBEAT = Duration.ofSeconds(30);

  @Test
  void aPushedListenerHearsANotificationWithoutAnyoneSyncing() throws Exception {
    var heard = new Heard();
    try (var listener = NotificationListener.startPushed(NotificationListenerTest::connect, "test_pushed", heard,
        LONG_HEARTBEAT, new SimpleMeterRegistry())) {
      assertThat(heard.subscribed.await(20, TimeUnit.SECONDS)).isTrue();

      notify("test_pushed", "hello");

      // no sync, and the heartbeat (30 s) is far off: only the push can bring it in time
      assertThat(heard.notified.await(5, TimeUnit.SECONDS)).isTrue();
      assertThat(heard.payloads).containsExactly("hello");
      assertThat(listener.listening()).isTrue();
    }
  }

  @Test
  void aSyncOnAPushedListenerReturnsOnlyOnceEarlierNotificationsWereHandedOver() throws Exception {
    var heard = new Heard();
    try (var listener = NotificationListener.startPushed(NotificationListenerTest::connect, "test_pushed_sync", heard,
        LONG_HEARTBEAT, new SimpleMeterRegistry())) {
      assertThat(heard.subscribed.await(20, TimeUnit.SECONDS)).isTrue();
      for (int i = 0; i < 20; i++) {
        notify("test_pushed_sync", "n" + i);

        assertThat(listener.sync(Duration.ofSeconds(5))).isTrue();
        assertThat(heard.payloads).contains("n" + i);
      }
    }
  }

  private static java.sql.Connection connect() throws SQLException {
    return DriverManager.getConnection(TestDatabase.get().url(), "postgres", "");
  }

  private static void notify(String channel, String payload) throws SQLException {
    try (var c = connect(); var ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
      ps.setString(1, channel);
      ps.setString(2, payload);
      ps.execute();
    }
  }

  private static final class Heard implements NotificationListener.Subscriber {
    final CountDownLatch subscribed = new CountDownLatch(1);
    final CountDownLatch notified = new CountDownLatch(1);
    final List<String> payloads = new CopyOnWriteArrayList<>();

    @Override
    public void subscribed() {
      subscribed.countDown();
    }

    @Override
    public void notified(String payload) {
      payloads.add(payload);
      notified.countDown();
    }

    @Override
    public void lost() {}
  }
}
