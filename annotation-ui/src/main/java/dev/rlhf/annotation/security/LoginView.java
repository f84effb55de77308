package dev.rlhf.annotation.security;

import java.util.List;

import com.vaadin.flow.component.html.H1;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.login.LoginForm;
import com.vaadin.flow.component.orderedlayout.FlexComponent;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.router.BeforeEnterEvent;
import com.vaadin.flow.router.BeforeEnterObserver;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import com.vaadin.flow.server.auth.AnonymousAllowed;

@Route(value = "login", autoLayout = false)
@PageTitle("Log in")
@AnonymousAllowed
public class LoginView extends VerticalLayout implements BeforeEnterObserver {

    final LoginForm login = new LoginForm();

    public LoginView() {
        setSizeFull();
        setAlignItems(FlexComponent.Alignment.CENTER);
        setJustifyContentMode(FlexComponent.JustifyContentMode.CENTER);
        login.setAction("login");
        login.setForgotPasswordButtonVisible(false);
        add(new H1("RLHF annotation"), login,
                new Paragraph("Accounts are created by an admin. The first admin's password is printed when the app first starts."));
    }

    @Override
    public void beforeEnter(BeforeEnterEvent event) {
        var parameters = event.getLocation().getQueryParameters().getParameters();
        List<String> locked = parameters.get("locked");
        if (locked != null) {
            String seconds = locked.isEmpty() || !locked.getFirst().matches("\\d{1,6}") ? "a few" : locked.getFirst();
            login.showErrorMessage("Too many failed logins",
                    "Logins of this account (or from your address) are paused; try again in " + seconds + " seconds.");
        } else {
            login.setError(parameters.containsKey("error"));
        }
    }
}
