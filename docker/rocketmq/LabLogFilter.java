/*
 * A logback filter (for RocketMQ's shaded logback) that lets through only the events whose message
 * template contains one of its <contains> strings: server-logback.xml uses it to copy a few events that
 * a lab waits for (a broker registered with a name server, a name server that sees a broker come or go)
 * to standard output, without the rest of their loggers' INFO lines.
 */
import java.util.ArrayList;
import java.util.List;
import org.apache.rocketmq.logging.ch.qos.logback.classic.spi.ILoggingEvent;
import org.apache.rocketmq.logging.ch.qos.logback.core.filter.Filter;
import org.apache.rocketmq.logging.ch.qos.logback.core.spi.FilterReply;

public final class LabLogFilter extends Filter<ILoggingEvent> {
  private final List<String> patterns = new ArrayList<>();

  public void addContains(String pattern) {
    patterns.add(pattern);
  }

  @Override
  public FilterReply decide(ILoggingEvent event) {
    String message = event.getMessage();
    if (message != null) {
      for (String pattern : patterns) {
        if (message.contains(pattern)) return FilterReply.ACCEPT;
      }
    }
    return FilterReply.DENY;
  }
}
