package dev.rlhf.feedback.outbox;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.avro.specific.SpecificData;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
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

import dev.rlhf.feedback.platform.database.DurableCommits;
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
 * <p>
 * Several instances on one PostgreSQL database: each relay publishes only the rows of the
 * {@link RelaySlots} it owns (a slot holds every row of its keys; an advisory lock makes one relay
 * its owner at a time), so no row is published by two relays at once and each key's rows go out in
 * id order. The in-process broker and H2 stay single-instance: there the one relay owns every slot.
 * <p>
 * Exactly once across crashes: each record carries its event id in the {@value #EVENT_ID_HEADER}
 * header. A crash between Kafka's acknowledgement and the commit that marks the rows sent leaves rows
 * that are on the topic but unmarked; so before it sends anything of a slot it has just taken (at
 * start-up, or from a relay that died), and after any failed batch, the relay reads the topics from
 * the oldest of the slot's first unsent rows (less {@link #CLOCK_SLACK}) to their end and marks the
 * rows whose event ids it finds there, instead of sending them again. Before a batch is sent,
 * {@link DurableCommits} makes sure its rows are on the storage device (on H2 a row can be visible to
 * this thread a moment before its commit is written), so the topic never holds an event the database
 * could lose.
 */
@Component
public class OutboxRelay implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);
    private static final Duration MIN_BACKOFF = Duration.ofMillis(500);
    /** Header with the event's id (UUID text) on every record the relay sends. */
    public static final String EVENT_ID_HEADER = "rlhf.event-id";
    /** How far before the oldest unsent row the start-up check reads, for clocks of database and app that differ. */
    static final Duration CLOCK_SLACK = Duration.ofMinutes(2);
    private static final Duration RECONCILE_LIMIT = Duration.ofSeconds(30);

    private final OutboxRepository outbox;
    private final RelaySlots slots;
    private final DurableCommits durable;
    private final Map<String, Object> producerConfig;
    private final Map<String, Object> consumerConfig;
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
    /** The slots this relay owned at its last claim. */
    private Set<Integer> owned = Set.of();
    private volatile int ownedCount;
    /** Owned slots whose unsent rows may already be on the topics (just taken over, or after a failed batch): checked before sending. */
    private final Set<Integer> unchecked = new TreeSet<>();

    public OutboxRelay(OutboxRepository outbox, RelaySlots slots, DurableCommits durable, ProducerFactory<?, ?> kafkaProducerFactory, Clock clock,
                       ObjectProvider<MeterRegistry> meters,
                       @Value("${rlhf.outbox.poll-interval:200ms}") Duration pollInterval,
                       @Value("${rlhf.outbox.max-backoff:30s}") Duration maxBackoff,
                       @Value("${rlhf.outbox.batch-size:500}") int batchSize,
                       @Value("${rlhf.outbox.max-block:10s}") Duration maxBlock) {
        this.outbox = outbox;
        this.slots = slots;
        this.durable = durable;
        this.producerConfig = relayProducerConfig(kafkaProducerFactory.getConfigurationProperties(), maxBlock);
        this.consumerConfig = reconcileConsumerConfig(kafkaProducerFactory.getConfigurationProperties(), maxBlock);
        this.clock = clock;
        this.pollInterval = pollInterval;
        this.maxBackoff = maxBackoff;
        this.batchSize = batchSize;
        meters.ifAvailable(registry -> Gauge.builder("rlhf.outbox.backlog", this, OutboxRelay::backlog)
                .description("Outbox events not yet acknowledged by Kafka").register(registry));
        meters.ifAvailable(registry -> Gauge.builder("rlhf.outbox.slots", this, relay -> relay.ownedCount)
                .description("Outbox slots this instance's relay publishes (of " + RelaySlots.SLOTS + ")").register(registry));
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

    /** The application's connection settings (bootstrap servers, security) for reading the topics back, without a group. */
    private static Map<String, Object> reconcileConsumerConfig(Map<String, Object> base, Duration maxBlock) {
        Map<String, Object> config = new HashMap<>();
        Set<String> consumerNames = ConsumerConfig.configNames();
        base.forEach((name, value) -> {
            if (consumerNames.contains(name) && !name.endsWith(".serializer") && !name.equals(ConsumerConfig.CLIENT_ID_CONFIG)) {
                config.put(name, value);
            }
        });
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "rlhf-outbox-relay-check");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // Like send(): while the broker is down, fail within max-block, back off and retry.
        config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) maxBlock.toMillis());
        config.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.max(maxBlock.toMillis(), 1_000));
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
        owned = Set.of();
        unchecked.clear();
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
        // After the last batch: another instance may take the slots over now.
        slots.close();
        ownedCount = 0;
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
                // What the failed batch sent may be on the topics though unmarked (a send acknowledged, the mark failed).
                unchecked.addAll(owned);
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

    /** Sends one batch of the owned slots and marks what Kafka acknowledged; true when more rows may be waiting. */
    private boolean relayBatch() throws ExecutionException, InterruptedException {
        RelaySlots.Claim claim = slots.claim();
        owned = claim.owned();
        ownedCount = owned.size();
        unchecked.addAll(claim.acquired());
        unchecked.retainAll(owned);
        if (!unchecked.isEmpty()) {
            markAlreadyPublished(unchecked, claim.partitioned());
            unchecked.clear();
        }
        List<OutboxRecord> batch = outbox.findUnsent(batchSize, owned);
        if (batch.isEmpty()) {
            return false;
        }
        durable.afterCommit();
        List<Future<RecordMetadata>> sends = new ArrayList<>(batch.size());
        RuntimeException sendFailure = null;
        for (OutboxRecord r : batch) {
            try {
                ProducerRecord<String, byte[]> record = new ProducerRecord<>(r.topic(), r.key(), r.payload());
                record.headers().add(AvroEventSerializer.SCHEMA_HEADER, schemaHeader(r.eventType()));
                record.headers().add(EVENT_ID_HEADER, r.eventId().toString().getBytes(StandardCharsets.US_ASCII));
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

    /**
     * Marks sent the rows of these slots that an earlier owner (a crashed run, a relay that died, or
     * this one before a failed batch) sent but did not mark. Those are among each slot's first unsent
     * rows, since every owner sends a slot's rows in id order, a batch at a time: the first
     * {@code 2 * batchSize} of each slot are looked up on the topics (per slot, so a long backlog in one
     * slot cannot push another slot's rows out of the check; all at once on H2, where one relay owns
     * everything). Throws while Kafka cannot be read, so the check is retried before anything is sent.
     */
    private void markAlreadyPublished(Set<Integer> check, boolean perSlot) {
        List<OutboxRecord> candidates = new ArrayList<>();
        if (perSlot) {
            for (int slot : check) {
                candidates.addAll(outbox.findUnsent(2 * batchSize, Set.of(slot)));
            }
        } else {
            candidates.addAll(outbox.findUnsent(2 * batchSize, check));
        }
        Instant oldest = outbox.oldestCreatedAt(candidates.stream().map(OutboxRecord::id).toList()).orElse(null);
        if (oldest == null) {
            return;
        }
        Set<String> topics = new HashSet<>();
        candidates.forEach(r -> topics.add(r.topic()));
        Set<UUID> onTopics = eventIdsOnTopicsSince(topics, oldest.minus(CLOCK_SLACK));
        List<Long> alreadySent = candidates.stream().filter(r -> onTopics.contains(r.eventId())).map(OutboxRecord::id).toList();
        if (!alreadySent.isEmpty()) {
            outbox.markSent(alreadySent, clock.instant());
            log.info("{} outbox event(s) were already on Kafka, sent before a restart, a takeover or a failed batch but not marked: "
                            + "marked sent, not sent again", alreadySent.size());
        }
    }

    private Set<UUID> eventIdsOnTopicsSince(Set<String> topics, Instant since) {
        Set<UUID> found = new HashSet<>();
        try (var consumer = new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            Map<TopicPartition, Long> fromTime = new HashMap<>();
            for (String topic : topics) {
                consumer.partitionsFor(topic).forEach(p -> fromTime.put(new TopicPartition(topic, p.partition()), since.toEpochMilli()));
            }
            Map<TopicPartition, Long> ends = consumer.endOffsets(fromTime.keySet());
            Map<TopicPartition, Long> starts = new HashMap<>();
            for (Map.Entry<TopicPartition, OffsetAndTimestamp> e : consumer.offsetsForTimes(fromTime).entrySet()) {
                if (e.getValue() != null && e.getValue().offset() < ends.get(e.getKey())) {
                    starts.put(e.getKey(), e.getValue().offset());
                }
            }
            if (starts.isEmpty()) {
                return found;
            }
            consumer.assign(starts.keySet());
            starts.forEach(consumer::seek);
            long deadline = System.nanoTime() + RECONCILE_LIMIT.toNanos();
            while (starts.keySet().stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topics + " back within " + RECONCILE_LIMIT.toSeconds() + " s");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(record -> {
                    Header id = record.headers().lastHeader(EVENT_ID_HEADER);
                    if (id != null) {
                        found.add(UUID.fromString(new String(id.value(), StandardCharsets.US_ASCII)));
                    }
                });
            }
        }
        return found;
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

    /** How many slots the relay owned at its last claim. */
    int ownedSlots() {
        return ownedCount;
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
