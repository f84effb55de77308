package dev.rlhf.annotation.admin;

import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.checkbox.CheckboxGroup;
import com.vaadin.flow.component.dialog.Dialog;
import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.html.H2;
import com.vaadin.flow.component.html.H3;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.orderedlayout.HorizontalLayout;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.component.textfield.PasswordField;
import com.vaadin.flow.component.textfield.TextField;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import com.vaadin.flow.spring.security.AuthenticationContext;

import dev.rlhf.feedback.annotator.Annotator;
import dev.rlhf.feedback.annotator.AnnotatorService;
import dev.rlhf.feedback.annotator.ApiTokenService;
import dev.rlhf.feedback.annotator.ApiTokenService.ApiToken;
import dev.rlhf.feedback.api.ApiException;
import jakarta.annotation.security.RolesAllowed;

/**
 * Admin: the accounts (list, create with roles) and the logged-in admin's own API tokens: a new
 * token's secret is shown once, in a dialog; tokens are listed by name and can be revoked.
 */
@Route("admin/accounts")
@PageTitle("Accounts")
@RolesAllowed("ADMIN")
public class AccountsView extends VerticalLayout {

    final Grid<Annotator> accounts = new Grid<>();
    final TextField username = new TextField("Username");
    final PasswordField password = new PasswordField("Password");
    final CheckboxGroup<Annotator.Role> roles = new CheckboxGroup<>("Roles");
    final Button create = new Button("Create account");
    final Span accountError = new Span();

    final TextField tokenName = new TextField("Token name");
    final Button createToken = new Button("Create API token");
    final Grid<ApiToken> tokens = new Grid<>();
    /** The dialog showing the last new token's secret, while it is open. */
    Dialog tokenDialog;

    private final AnnotatorService annotators;
    private final ApiTokenService apiTokens;
    private final Annotator me;

    public AccountsView(AnnotatorService annotators, ApiTokenService apiTokens, AuthenticationContext auth) {
        this.annotators = annotators;
        this.apiTokens = apiTokens;
        this.me = annotators.byUsername(auth.getPrincipalName().orElseThrow());

        accounts.setId("accounts");
        accounts.addColumn(Annotator::username).setHeader("Username").setFlexGrow(2);
        accounts.addColumn(a -> a.roles().stream().map(Enum::name).sorted().collect(Collectors.joining(", "))).setHeader("Roles");
        accounts.addColumn(a -> ProjectsView.TIME.format(a.createdAt())).setHeader("Created");
        accounts.setAllRowsVisible(true);

        username.setId("account-username");
        password.setId("account-password");
        password.setHelperText("At least " + AnnotatorService.MIN_PASSWORD_LENGTH + " characters");
        roles.setId("account-roles");
        roles.setItems(Annotator.Role.values());
        roles.setValue(EnumSet.of(Annotator.Role.ANNOTATOR));
        accountError.setId("account-error");
        accountError.getStyle().set("color", "var(--vaadin-text-color-error, var(--lumo-error-text-color, #c00))");
        create.setId("account-create");
        create.addThemeVariants(ButtonVariant.PRIMARY);
        create.addClickListener(e -> createAccount());
        HorizontalLayout accountForm = new HorizontalLayout(username, password, roles, create);
        accountForm.setAlignItems(Alignment.BASELINE);
        accountForm.setWrap(true);

        tokenName.setId("token-name");
        tokenName.setPlaceholder("e.g. trainer, ci");
        tokenName.setMaxLength(ApiTokenService.MAX_NAME_CHARS);
        createToken.setId("token-create");
        createToken.addClickListener(e -> createToken());
        tokens.setId("tokens");
        tokens.addColumn(ApiToken::name).setHeader("Name").setFlexGrow(2);
        tokens.addColumn(t -> ProjectsView.TIME.format(t.createdAt())).setHeader("Created");
        tokens.addColumn(t -> t.active() ? "active" : "revoked " + ProjectsView.TIME.format(t.revokedAt())).setHeader("Status");
        tokens.addComponentColumn(t -> {
            Button revoke = new Button("Revoke", e -> revoke(t));
            revoke.addThemeVariants(ButtonVariant.SMALL, ButtonVariant.ERROR);
            revoke.setEnabled(t.active());
            return revoke;
        }).setHeader("");
        tokens.setAllRowsVisible(true);
        HorizontalLayout tokenForm = new HorizontalLayout(tokenName, createToken);
        tokenForm.setAlignItems(Alignment.BASELINE);

        add(new H2("Accounts"), accounts, new H3("New account"), accountForm, accountError,
                new H3("My API tokens"),
                new Paragraph("For scripts and services: send it as Authorization: Bearer <token>. It acts as " + me.username() + "."),
                tokenForm, tokens);
        refresh();
    }

    void refresh() {
        accounts.setItems(annotators.all());
        tokens.setItems(apiTokens.list(me.id()));
    }

    void createAccount() {
        Set<Annotator.Role> chosen = roles.getValue();
        try {
            annotators.create(username.getValue(), password.getValue(), chosen);
            accountError.setText("");
            username.clear();
            password.clear();
            refresh();
        } catch (ApiException rejected) {
            accountError.setText(rejected.getMessage());
        }
    }

    void createToken() {
        String name = tokenName.getValue().isBlank() ? "token" : tokenName.getValue().strip();
        String secret;
        try {
            secret = apiTokens.create(me.id(), name);
        } catch (ApiException rejected) {
            // Too long, or characters PostgreSQL cannot store: the service says which.
            tokenName.setErrorMessage(rejected.getMessage());
            tokenName.setInvalid(true);
            return;
        }
        tokenName.setInvalid(false);
        tokenName.clear();
        refresh();
        tokenDialog = secretDialog(name, secret);
        tokenDialog.open();
    }

    void revoke(ApiToken token) {
        apiTokens.revoke(me.id(), token.id());
        refresh();
    }

    /** The only place the secret ever appears; closing the dialog drops it. */
    private Dialog secretDialog(String name, String secret) {
        Dialog dialog = new Dialog();
        dialog.setHeaderTitle("API token '" + name + "'");
        TextField value = new TextField();
        value.setId("token-secret");
        value.setValue(secret);
        value.setReadOnly(true);
        value.setWidth("36rem");
        value.getElement().executeJs("this.addEventListener('focus', () => this.inputElement.select())");
        Button close = new Button("Done", e -> {
            dialog.close();
            tokenDialog = null;
        });
        close.setId("token-dialog-close");
        dialog.add(new Paragraph("Copy it now (select it and press Ctrl+C): it is shown only this once and cannot be read back later."),
                value);
        dialog.getFooter().add(close);
        dialog.addOpenedChangeListener(e -> {
            if (!e.isOpened()) {
                dialog.removeAll();
            }
        });
        return dialog;
    }
}
