package dev.rlhf.feedback.annotator;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
public class AnnotatorRepository {

    private final JdbcClient jdbc;

    public AnnotatorRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public Optional<Annotator> findByUsername(String username) {
        return jdbc.sql("SELECT id, username, password_hash, roles, created_at FROM annotators WHERE username = ?")
                .param(username)
                .query(AnnotatorRepository::map)
                .optional();
    }

    /** The owner of the unrevoked API token with this hash. */
    public Optional<Annotator> findByApiTokenHash(String tokenHash) {
        return jdbc.sql("""
                        SELECT a.id, a.username, a.password_hash, a.roles, a.created_at
                        FROM api_tokens t JOIN annotators a ON a.id = t.annotator_id
                        WHERE t.token_hash = ? AND t.revoked_at IS NULL""")
                .param(tokenHash)
                .query(AnnotatorRepository::map)
                .optional();
    }

    public java.util.List<Annotator> findAll() {
        return jdbc.sql("SELECT id, username, password_hash, roles, created_at FROM annotators ORDER BY username")
                .query(AnnotatorRepository::map).list();
    }

    public Optional<Annotator> findById(UUID id) {
        return jdbc.sql("SELECT id, username, password_hash, roles, created_at FROM annotators WHERE id = ?")
                .param(id).query(AnnotatorRepository::map).optional();
    }

    public void insert(Annotator a) {
        jdbc.sql("INSERT INTO annotators (id, username, password_hash, roles, created_at) VALUES (?, ?, ?, ?, ?)")
                .params(a.id(), a.username(), a.passwordHash(),
                        a.roles().stream().map(Enum::name).sorted().collect(Collectors.joining(",")),
                        OffsetDateTime.ofInstant(a.createdAt(), java.time.ZoneOffset.UTC))
                .update();
    }

    private static Annotator map(ResultSet rs, int row) throws SQLException {
        var roles = EnumSet.noneOf(Annotator.Role.class);
        Arrays.stream(rs.getString("roles").split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .map(Annotator.Role::valueOf).forEach(roles::add);
        Instant created = rs.getObject("created_at", OffsetDateTime.class).toInstant();
        return new Annotator(rs.getObject("id", UUID.class), rs.getString("username"), rs.getString("password_hash"), roles, created);
    }
}
