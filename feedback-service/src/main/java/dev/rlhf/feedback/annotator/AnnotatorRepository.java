package dev.rlhf.feedback.annotator;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
public class AnnotatorRepository {

    private static final String COLUMNS = "id, username, password_hash, roles, created_at, disabled_at, credentials_version";

    private final JdbcClient jdbc;

    public AnnotatorRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public Optional<Annotator> findByUsername(String username) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM annotators WHERE username = ?")
                .param(username)
                .query(AnnotatorRepository::map)
                .optional();
    }

    /** The owner of the unrevoked, unexpired API token with this hash, when the account is not disabled. */
    public Optional<Annotator> findByApiTokenHash(String tokenHash) {
        return jdbc.sql("""
                        SELECT a.id, a.username, a.password_hash, a.roles, a.created_at, a.disabled_at, a.credentials_version
                        FROM api_tokens t JOIN annotators a ON a.id = t.annotator_id
                        WHERE t.token_hash = ? AND t.revoked_at IS NULL AND t.expires_at > CURRENT_TIMESTAMP
                          AND a.disabled_at IS NULL""")
                .param(tokenHash)
                .query(AnnotatorRepository::map)
                .optional();
    }

    public java.util.List<Annotator> findAll() {
        return jdbc.sql("SELECT " + COLUMNS + " FROM annotators ORDER BY username")
                .query(AnnotatorRepository::map).list();
    }

    public Optional<Annotator> findById(UUID id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM annotators WHERE id = ?")
                .param(id).query(AnnotatorRepository::map).optional();
    }

    public void insert(Annotator a) {
        jdbc.sql("INSERT INTO annotators (id, username, password_hash, roles, created_at) VALUES (?, ?, ?, ?, ?)")
                .params(a.id(), a.username(), a.passwordHash(),
                        a.roles().stream().map(Enum::name).sorted().collect(Collectors.joining(",")),
                        OffsetDateTime.ofInstant(a.createdAt(), java.time.ZoneOffset.UTC))
                .update();
    }

    /** Sets a new password hash and raises the credentials version (ending sessions logged in before). */
    public boolean updatePassword(UUID id, String passwordHash) {
        return jdbc.sql("UPDATE annotators SET password_hash = ?, credentials_version = credentials_version + 1 WHERE id = ?")
                .params(passwordHash, id).update() == 1;
    }

    /** Disables (at {@code when}) or enables the account and raises its credentials version. */
    public boolean setDisabled(UUID id, Instant when) {
        return jdbc.sql("UPDATE annotators SET disabled_at = ?, credentials_version = credentials_version + 1 WHERE id = ?")
                .params(when == null ? null : OffsetDateTime.ofInstant(when, java.time.ZoneOffset.UTC), id).update() == 1;
    }

    /**
     * Ends every unexpired lease of the account now, in all projects (it was disabled): the tasks
     * count those slots as free again at once. The rows stay, as expired leases. Run it after the
     * account's row is locked (the disable's update does), the lock a lease grant takes first.
     */
    public int endOpenLeases(UUID id, Instant now) {
        var at = OffsetDateTime.ofInstant(now, java.time.ZoneOffset.UTC);
        return jdbc.sql("UPDATE assignments SET lease_expires_at = ? WHERE annotator_id = ? AND status = 'LEASED' AND lease_expires_at > ?")
                .params(at, id, at).update();
    }

    /**
     * Every admin account, their rows locked until the transaction ends (in id order, so two
     * transactions taking them cannot deadlock): what a check that an enabled admin remains reads.
     */
    public java.util.List<Annotator> lockAdmins() {
        return jdbc.sql("SELECT " + COLUMNS + " FROM annotators WHERE roles LIKE '%ADMIN%' ORDER BY id FOR UPDATE")
                .query(AnnotatorRepository::map).list();
    }

    /** The account's credentials version, or empty when it is disabled or gone. */
    public Optional<Integer> activeCredentialsVersion(UUID id) {
        return jdbc.sql("SELECT credentials_version FROM annotators WHERE id = ? AND disabled_at IS NULL")
                .param(id).query(Integer.class).optional();
    }

    /** The {@code annotators.roles} column (comma-separated role names) as a set. */
    public static Set<Annotator.Role> roles(String column) {
        var roles = EnumSet.noneOf(Annotator.Role.class);
        Arrays.stream(column.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .map(Annotator.Role::valueOf).forEach(roles::add);
        return roles;
    }

    private static Annotator map(ResultSet rs, int row) throws SQLException {
        var roles = roles(rs.getString("roles"));
        Instant created = rs.getObject("created_at", OffsetDateTime.class).toInstant();
        OffsetDateTime disabled = rs.getObject("disabled_at", OffsetDateTime.class);
        return new Annotator(rs.getObject("id", UUID.class), rs.getString("username"), rs.getString("password_hash"), roles, created,
                disabled == null ? null : disabled.toInstant(), rs.getInt("credentials_version"));
    }
}
