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

import dev.rlhf.annotation.account.TokensPanel;
import dev.rlhf.feedback.annotator.Annotator;
import dev.rlhf.feedback.annotator.AnnotatorService;
import dev.rlhf.feedback.annotator.ApiTokenService;
import dev.rlhf.feedback.annotator.CredentialsProperties;
import dev.rlhf.feedback.api.ApiException;
import jakarta.annotation.security.RolesAllowed;

/**
 * Admin: the accounts (list, create with roles, disable or enable, set a password) and the API
 * tokens of every account (create one for yourself, revoke anyone's). Disabling an account or setting
 * its password revokes its tokens and ends its sessions.
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
    final TokensPanel tokenPanel;
    /** The dialog setting an account's password, while it is open. */
    Dialog passwordDialog;

    private final AnnotatorService annotators;
    private final Annotator me;

    public AccountsView(AnnotatorService annotators, ApiTokenService apiTokens, CredentialsProperties credentials,
                        AuthenticationContext auth) {
        this.annotators = annotators;
        this.me = annotators.byUsername(auth.getPrincipalName().orElseThrow());
        this.tokenPanel = new TokensPanel(apiTokens, credentials.tokens(), me, true);

        accounts.setId("accounts");
        accounts.addColumn(Annotator::username).setHeader("Username").setFlexGrow(2);
        accounts.addColumn(a -> a.roles().stream().map(Enum::name).sorted().collect(Collectors.joining(", "))).setHeader("Roles");
        accounts.addColumn(a -> ProjectsView.TIME.format(a.createdAt())).setHeader("Created");
        accounts.addColumn(a -> a.enabled() ? "active" : "disabled " + ProjectsView.TIME.format(a.disabledAt())).setHeader("Status");
        accounts.addComponentColumn(this::actions).setHeader("").setAutoWidth(true);
        accounts.setAllRowsVisible(true);

        username.setId("account-username");
        password.setId("account-password");
        password.setHelperText("At least " + annotators.minPasswordLength()
                + " characters; not containing the username; not a common password");
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

        add(new H2("Accounts"), accounts, accountError, new H3("New account"), accountForm,
                new H3("API tokens of all accounts"), tokenPanel);
        refresh();
    }

    private HorizontalLayout actions(Annotator account) {
        Button toggle = new Button(account.enabled() ? "Disable" : "Enable", e -> setDisabled(account, account.enabled()));
        toggle.setId("account-toggle-" + account.username());
        toggle.addThemeVariants(ButtonVariant.SMALL);
        if (account.enabled()) {
            toggle.addThemeVariants(ButtonVariant.ERROR);
        }
        toggle.setEnabled(!account.id().equals(me.id()));
        Button setPassword = new Button("Set password", e -> openPasswordDialog(account));
        setPassword.setId("account-password-" + account.username());
        setPassword.addThemeVariants(ButtonVariant.SMALL);
        return new HorizontalLayout(toggle, setPassword);
    }

    void refresh() {
        accounts.setItems(annotators.all());
        tokenPanel.refresh();
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

    void setDisabled(Annotator account, boolean disabled) {
        try {
            annotators.setDisabled(account.id(), disabled, me);
            accountError.setText("");
        } catch (ApiException rejected) {
            accountError.setText(rejected.getMessage());
        }
        refresh();
    }

    void openPasswordDialog(Annotator account) {
        Dialog dialog = new Dialog();
        dialog.setHeaderTitle("New password for " + account.username());
        PasswordField newPassword = new PasswordField("New password");
        newPassword.setId("set-password-value");
        newPassword.setHelperText("Its API tokens are revoked and its sessions end.");
        newPassword.setWidth("24rem");
        Span error = new Span();
        error.setId("set-password-error");
        error.getStyle().set("color", "var(--vaadin-text-color-error, var(--lumo-error-text-color, #c00))");
        Button save = new Button("Set password", e -> {
            try {
                annotators.setPassword(account.id(), newPassword.getValue(), me.username());
                dialog.close();
                passwordDialog = null;
                refresh();
            } catch (ApiException rejected) {
                error.setText(rejected.getMessage());
            }
        });
        save.setId("set-password-save");
        save.addThemeVariants(ButtonVariant.PRIMARY);
        Button cancel = new Button("Cancel", e -> {
            dialog.close();
            passwordDialog = null;
        });
        dialog.add(new Paragraph("The account's owner will need the new password to log in again."), newPassword, error);
        dialog.getFooter().add(cancel, save);
        passwordDialog = dialog;
        dialog.open();
    }
}
