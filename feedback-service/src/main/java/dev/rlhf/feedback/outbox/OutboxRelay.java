package dev.rlhf.feedback.outbox;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.avro.specific.SpecificData;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.SmartLifecycle;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.event.TransactionPhase;
import org.springframework.transaction.event.TransactionalEventListener;

import dev.rlhf.schemas.kafka.AvroEventSerializer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Publishes the outbox to Kafka: one thread reads unsent rows in id order, sends them (key and
 * {@code avro.schema} header as the row says) with an idempotent, acks=all producer, waits for
 * every ack of the batch and only then marks the acknowledged rows sent. It polls every
 * {@code rlhf.outbox.poll-interval} and wakes at once after a transaction that wrote the outbox
 * commits. While Kafka is unreachable it backs off (up to {@code rlhf.outbox.max-backoff}),
 * ({@code send} blocks at most {@code rlhf.outbox.max-block} for metadata),
 * logging once per outage; submissions are never affected.
 */
@Component
public class OutboxRelay implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);
    private static final Duration MIN_BACKOFF = Duration.ofMillis(500);

    private final OutboxRepository outbox;
    private final Map<String, Object> producerConfig;
    private final Clock clock;
    private final Duration pollInterval;
    private final Duration maxBackoff;
    private final int batchSize;
    private final Semaphore wakeups = new Semaphore(0);
    private final Map<String, byte[]> schemaHeaders = new ConcurrentHashMap<>();

    private final AtomicLong failedAttempts = new AtomicLong();
    private volatile boolean running;
    private volatile CountDownLatch stopped = new CountDownLatch(0);
    private volatile Producer<String, byte[]> producer;
    private Thread thread;
    private boolean inOutage;

    public OutboxRelay(OutboxRepository outbox, ProducerFactory<?, ?> kafkaProducerFactory, Clock clock,
                       ObjectProvider<MeterRegistry> meters,
                       @Value("${rlhf.outbox.poll-interval:200ms}") Duration pollInterval,
                       @Value("${rlhf.outbox.max-backoff:30s}") Duration maxBackoff,
                       @Value("${rlhf.outbox.batch-size:500}") int batchSize,
                       @Value("${rlhf.outbox.max-block:10s}") Duration maxBlock) {
        this.outbox = outbox;
        this.producerConfig = relayProducerConfig(kafkaProducerFactory.getConfigurationProperties(), maxBlock);
        this.clock = clock;
        this.pollInterval = pollInterval;
        this.maxBackoff = maxBackoff;
        this.batchSize = batchSize;
        meters.ifAvailable(registry -> Gauge.builder("rlhf.outbox.backlog", this, OutboxRelay::backlog)
                .description("Outbox events not yet acknowledged by Kafka").register(registry));
    }

    /** The application's producer settings (bootstrap servers, security) with the guarantees the relay relies on. */
    private static Map<String, Object> relayProducerConfig(Map<String, Object> base, Duration maxBlock) {
        Map<String, Object> config = new HashMap<>(base);
        config.remove(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG);
        config.remove(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG);
        config.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "rlhf-outbox-relay");
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        config.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
        config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
        // send() must not hang for a minute on missing metadata while the broker is down: fail, back off, retry.
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) maxBlock.toMillis());
        return config;
    }

    /** Wakes the relay right after a transaction that wrote to the outbox commits. */
    @TransactionalEventListener(phase = TransactionPhase.AFTER_COMMIT, fallbackExecution = true)
    void onAppended(OutboxAppended appended) {
        wake();
    }

    public void wake() {
        wakeups.release();
    }

    @Override
    public synchronized void start() {
        if (running) {
            return;
        }
        producer = new KafkaProducer<>(producerConfig, new StringSerializer(), new ByteArraySerializer());
        stopped = new CountDownLatch(1);
        running = true;
        thread = Thread.ofPlatform().name("outbox-relay").daemon().start(this::loop);
    }

    @Override
    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        stopped.countDown();
        wake();
        // Fails sends still waiting for a broker, so the thread returns; their rows stay unsent for next time.
        producer.close(Duration.ofSeconds(5));
        try {
            thread.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    private void loop() {
        Duration backoff = Duration.ZERO;
        while (running) {
            boolean more = false;
            try {
                more = relayBatch();
                if (inOutage) {
                    inOutage = false;
                    log.info("Kafka reachable again: outbox delivery resumed");
                }
                backoff = Duration.ZERO;
            } catch (RuntimeException | ExecutionException e) {
                if (!running) {
                    return;
                }
                failedAttempts.incrementAndGet();
                log.debug("Outbox delivery attempt failed", e);
                backoff = backoff.isZero() ? min(MIN_BACKOFF, maxBackoff) : min(backoff.multipliedBy(2), maxBackoff);
                if (!inOutage) {
                    inOutage = true;
                    log.warn("Cannot deliver outbox events ({}); {} waiting, retrying with backoff up to {} ms", rootMessage(e),
                            (long) backlog(), maxBackoff.toMillis());
                }
            } catch (InterruptedException e) {
                return;
            }
            if (!more) {
                pause(backoff);
            }
        }
    }

    /** Sends one batch and marks what Kafka acknowledged; true when more rows may be waiting. */
    private boolean relayBatch() throws ExecutionException, InterruptedException {
        List<OutboxRecord> batch = outbox.findUnsent(batchSize);
        if (batch.isEmpty()) {
            return false;
        }
        List<Future<RecordMetadata>> sends = new ArrayList<>(batch.size());
        RuntimeException sendFailure = null;
        for (OutboxRecord r : batch) {
            try {
                ProducerRecord<String, byte[]> record = new ProducerRecord<>(r.topic(), r.key(), r.payload());
                record.headers().add(AvroEventSerializer.SCHEMA_HEADER, schemaHeader(r.eventType()));
                Future<RecordMetadata> send = producer.send(record);
                sends.add(send);
                if (send.isDone() && failed(send)) {
                    break; // e.g. no metadata within max.block.ms: sending later rows now would put them before this one
                }
            } catch (RuntimeException e) {
                sendFailure = e; // not queued: later rows wait for the next round, after the ones already sent
                break;
            }
        }
        // Wait for every send before anything is retried, so a row is never in flight twice.
        List<Long> acknowledged = new ArrayList<>(sends.size());
        ExecutionException ackFailure = null;
        for (int i = 0; i < sends.size(); i++) {
            try {
                sends.get(i).get();
                acknowledged.add(batch.get(i).id());
            } catch (ExecutionException e) {
                ackFailure = ackFailure == null ? e : ackFailure;
            }
        }
        outbox.markSent(acknowledged, clock.instant());
        if (ackFailure != null) {
            throw ackFailure;
        }
        if (sendFailure != null) {
            throw sendFailure;
        }
        return batch.size() == batchSize;
    }

    private static boolean failed(Future<RecordMetadata> send) {
        try {
            send.get();
            return false;
        } catch (ExecutionException e) {
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    private byte[] schemaHeader(String eventType) {
        return schemaHeaders.computeIfAbsent(eventType, type -> {
            try {
                return SpecificData.get().getSchema(Class.forName(type)).toString().getBytes(StandardCharsets.UTF_8);
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("Outbox row of unknown event type " + type, e);
            }
        });
    }

    private void pause(Duration backoff) {
        try {
            if (backoff.isZero()) {
                wakeups.tryAcquire(pollInterval.toMillis(), TimeUnit.MILLISECONDS);
                wakeups.drainPermits();
            } else {
                // Commits do not cut a backoff short: a busy app must not hammer a broker that is down.
                stopped.await(backoff.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /** Delivery attempts that failed since start (each followed by a backoff). */
    long failedAttempts() {
        return failedAttempts.get();
    }

    /** Events not yet acknowledged by Kafka; NaN when the database cannot say. */
    double backlog() {
        try {
            return outbox.countUnsent();
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }
}
