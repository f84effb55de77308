package dev.rlhf.feedback.platform.database;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Makes a committed transaction reach the storage device before the caller is told it is stored.
 * <p>
 * PostgreSQL needs nothing here: with its defaults ({@code synchronous_commit = on}, {@code fsync =
 * on}) a commit returns only after its WAL record is flushed. H2 (the zero-install default) is
 * different: its commit hands the change to the operating system with a plain {@code write} (with
 * {@code WRITE_DELAY=0} in the URL, see {@code ZeroInstallDefaults}; by default even that waits up to
 * 500 ms) and never calls {@code fsync}. A process crash ({@code kill -9}) then loses nothing, but a
 * power failure can lose whatever the operating system had not yet written back.
 * {@link #afterCommit()} closes that gap on H2 with {@code CHECKPOINT SYNC}: H2 stores what is
 * committed and forces the file to the device ({@code FileChannel.force}). It costs one {@code fsync}
 * per call (about 0.5 ms on the development machine's SSD); {@code rlhf.database.sync-commits=false}
 * turns it off, which keeps process crashes safe and leaves power failures to the operating system.
 */
@Component
public class DurableCommits {

    private final DatabaseKind database;
    private final JdbcClient jdbc;
    private final boolean enabled;

    public DurableCommits(DatabaseKind database, JdbcClient jdbc, @Value("${rlhf.database.sync-commits:true}") boolean enabled) {
        this.database = database;
        this.jdbc = jdbc;
        this.enabled = enabled;
    }

    /** Call after a commit whose acknowledgement promises durability (a submitted ranking, an outbox batch about to be published). */
    public void afterCommit() {
        if (enabled && !database.isPostgres()) {
            jdbc.sql("CHECKPOINT SYNC").update();
        }
    }
}
