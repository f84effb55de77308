package dev.rlhf.feedback.outbox;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import javax.sql.DataSource;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.stereotype.Component;

import dev.rlhf.feedback.platform.database.DatabaseKind;

/**
 * Which outbox rows this instance's relay may publish, so that several app instances on one
 * PostgreSQL database (and schema) never publish the same row and keep each key's order.
 * <p>
 * Every row belongs to one of {@value #SLOTS} slots by a hash of its record key
 * ({@link OutboxRepository#SLOT_OF_KEY}), so all rows of a key are in one slot. A relay publishes only
 * the rows of the slots it owns, and owns a slot by holding a session-level PostgreSQL advisory lock
 * on it ({@code pg_try_advisory_lock}) on a pooled connection it keeps (see {@link #join()}). The lock is held
 * from before a slot's first batch until after its last batch is marked sent, so no two relays
 * publish a slot at once and a key's rows go out in id order whichever relay sends them. Each relay
 * also holds a lock that counts it as alive, and takes an even share of the slots ({@code
 * ceil(SLOTS / relays)}): the first instance takes them all, a second one makes it hand half of
 * them over between batches. When an instance dies, PostgreSQL ends its session and frees its locks;
 * the others take its slots at their next batch or poll ({@code rlhf.outbox.poll-interval}).
 * <p>
 * A relay that takes over a slot may find rows that the previous owner sent but had not marked (it
 * crashed in between): {@link Claim#acquired()} names those slots, and the relay checks their rows
 * against the topics before it sends them (the same check as at start-up).
 * <p>
 * The lock keys are scoped to the schema ({@code hashtext(current_schema() || ...)}), since advisory
 * locks are per database: deployments (or test classes) in different schemas of one database do not
 * share slots. On H2 (the zero-install default; its file database admits one process) the one
 * instance owns every slot and nothing is locked.
 */
@Component
public class RelaySlots implements AutoCloseable {

    /** Slots, and so the most relays that publish in parallel. The same in every instance: a constant, not a setting. */
    public static final int SLOTS = 16;
    private static final Logger log = LoggerFactory.getLogger(RelaySlots.class);

    /**
     * The slots this relay may publish, those among them it did not own at its previous claim, how
     * many relays share the database, and whether rows can be selected by slot (PostgreSQL; on H2 the
     * one relay reads all rows at once).
     */
    public record Claim(Set<Integer> owned, Set<Integer> acquired, int relays, boolean partitioned) {
    }

    /** Every slot: what the one relay on H2 owns. */
    public static final Set<Integer> ALL_SLOTS = allSlots();

    private final DataSource dataSource;
    private final DatabaseKind database;
    private final Object lock = new Object();
    private Connection connection;
    private long slotsNamespace;
    private long relaysNamespace;
    private final TreeSet<Integer> owned = new TreeSet<>();
    private int relays;
    private boolean firstClaim = true;

    public RelaySlots(DataSource dataSource, DatabaseKind database) {
        this.dataSource = dataSource;
        this.database = database;
    }

    /**
     * The slots to publish in the next batch. On PostgreSQL it joins the relays (again after a lost
     * connection, having lost its locks with it), frees slots beyond its share and takes free ones up
     * to it: one read of {@code pg_locks}, and a lock call per slot that changes hands. Before every
     * batch, so a relay whose session ended finds out before it sends more.
     * Throws when the database cannot be reached; the relay then owns nothing until a later claim
     * succeeds.
     */
    public Claim claim() {
        synchronized (lock) {
            if (!database.isPostgres()) {
                Claim claim = new Claim(ALL_SLOTS, firstClaim ? ALL_SLOTS : Set.of(), 1, false);
                firstClaim = false;
                return claim;
            }
            try {
                Set<Integer> acquired = refresh();
                return new Claim(Collections.unmodifiableSet(new TreeSet<>(owned)), acquired, relays, true);
            } catch (SQLException | RuntimeException e) {
                closeQuietly();
                throw new CannotGetJdbcConnectionException("Cannot claim outbox slots: " + e.getMessage(),
                        e instanceof SQLException sql ? sql : new SQLException(e));
            }
        }
    }

    private Set<Integer> refresh() throws SQLException {
        if (connection == null || connection.isClosed()) {
            join();
        }
        // Which relays are alive (their session holds its relay lock) and which slots are taken, in one read.
        Set<Integer> taken = new TreeSet<>();
        int alive = 0;
        try (PreparedStatement locks = connection.prepareStatement("""
                SELECT classid::bigint, objid::bigint FROM pg_locks
                WHERE locktype = 'advisory' AND granted AND objsubid = 2
                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND classid::bigint IN (?, ?)""")) {
            locks.setLong(1, slotsNamespace);
            locks.setLong(2, relaysNamespace);
            try (ResultSet rs = locks.executeQuery()) {
                while (rs.next()) {
                    if (rs.getLong(1) == relaysNamespace) {
                        alive++;
                    } else {
                        taken.add((int) rs.getLong(2));
                    }
                }
            }
        }
        relays = Math.max(alive, 1);
        int share = (SLOTS + relays - 1) / relays;
        Set<Integer> before = new TreeSet<>(owned);
        // Hand over the slots beyond the share: between batches, so nothing of theirs is in flight.
        while (owned.size() > share) {
            int slot = owned.pollLast();
            advisory("pg_advisory_unlock", slotsNamespace, slot);
        }
        Set<Integer> acquired = new TreeSet<>();
        if (owned.size() < share) {
            List<Integer> free = new ArrayList<>();
            for (int slot = 0; slot < SLOTS; slot++) {
                if (!taken.contains(slot)) {
                    free.add(slot);
                }
            }
            for (int slot : free) {
                if (owned.size() >= share) {
                    break;
                }
                if (advisory("pg_try_advisory_lock", slotsNamespace, slot)) {
                    owned.add(slot);
                    acquired.add(slot);
                }
            }
        }
        if (!owned.equals(before)) {
            log.info("Outbox relay owns slots {} of {} ({} relay(s) share the database)", owned, SLOTS, relays);
        }
        return acquired;
    }

    /**
     * A connection kept open: its session holds this relay's locks. It comes from the pool (one of
     * its connections stays with the relay) and goes back there only after {@code
     * pg_advisory_unlock_all()}, so no other user of that session inherits a lock.
     */
    private void join() throws SQLException {
        closeQuietly();
        connection = dataSource.getConnection();
        connection.setAutoCommit(true);
        int pid;
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT hashtext(current_schema() || ':rlhf.outbox.slots') & 2147483647, "
                     + "hashtext(current_schema() || ':rlhf.outbox.relays') & 2147483647, pg_backend_pid()")) {
            rs.next();
            slotsNamespace = rs.getLong(1);
            relaysNamespace = rs.getLong(2);
            pid = rs.getInt(3);
        }
        // The session's process id is unique among live sessions, so this lock is this relay's alone.
        advisory("pg_try_advisory_lock", relaysNamespace, pid);
    }

    private boolean advisory(String function, long namespace, int key) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("SELECT " + function + "(?, ?)")) {
            s.setInt(1, (int) namespace);
            s.setInt(2, key);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** Gives every slot up (closing the session frees its locks), e.g. when the relay stops. */
    @Override
    public void close() {
        synchronized (lock) {
            closeQuietly();
            firstClaim = true;
        }
    }

    private void closeQuietly() {
        if (!owned.isEmpty()) {
            log.info("Outbox relay gave up slots {}", owned);
        }
        owned.clear();
        relays = 0;
        if (connection != null) {
            try (Statement s = connection.createStatement()) {
                s.execute("SELECT pg_advisory_unlock_all()");
            } catch (SQLException e) {
                // A broken connection: the pool discards it, and PostgreSQL frees the locks with the session.
                log.debug("Could not unlock the outbox slots explicitly", e);
            }
            try {
                connection.close();
            } catch (SQLException e) {
                log.debug("Closing the outbox slots' connection failed", e);
            }
            connection = null;
        }
    }

    private static Set<Integer> allSlots() {
        Set<Integer> all = new TreeSet<>();
        for (int slot = 0; slot < SLOTS; slot++) {
            all.add(slot);
        }
        return Collections.unmodifiableSet(all);
    }
}
