package dev.rlhf.annotation;

import com.vaadin.flow.component.applayout.AppLayout;
import com.vaadin.flow.component.applayout.DrawerToggle;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.html.H1;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.orderedlayout.FlexComponent;
import com.vaadin.flow.component.orderedlayout.HorizontalLayout;
import com.vaadin.flow.component.sidenav.SideNav;
import com.vaadin.flow.component.sidenav.SideNavItem;
import com.vaadin.flow.router.Layout;
import com.vaadin.flow.spring.security.AuthenticationContext;

import dev.rlhf.annotation.account.MyAccountView;
import dev.rlhf.annotation.admin.AccountsView;
import dev.rlhf.annotation.admin.ProjectsView;
import dev.rlhf.annotation.dashboard.DashboardView;
import dev.rlhf.annotation.status.StatusView;
import jakarta.annotation.security.PermitAll;

/** The frame around every screen: navigation (by role), who is logged in, log out. */
@Layout
@PermitAll
public class MainLayout extends AppLayout {

    public MainLayout(AuthenticationContext auth) {
        H1 title = new H1("RLHF annotation");
        title.getStyle().set("font-size", "1.125rem").set("margin", "0");
        Span user = new Span(auth.getPrincipalName().orElse(""));
        user.setId("current-user");
        Button logout = new Button("Log out", e -> auth.logout());
        logout.setId("logout");
        HorizontalLayout header = new HorizontalLayout(new DrawerToggle(), title, user, logout);
        header.setWidthFull();
        header.setAlignItems(FlexComponent.Alignment.CENTER);
        header.expand(title);
        header.getStyle().set("padding-right", "1rem");
        addToNavbar(header);

        SideNav nav = new SideNav();
        nav.addItem(new SideNavItem("My projects", HomeView.class));
        nav.addItem(new SideNavItem("Training", DashboardView.class));
        nav.addItem(new SideNavItem("My account", MyAccountView.class));
        if (auth.hasRole("ADMIN")) {
            SideNavItem projects = new SideNavItem("Projects", ProjectsView.class);
            // Keeps "Projects" highlighted on a project's own console (admin/projects/{id}).
            projects.setMatchNested(true);
            nav.addItem(projects);
            nav.addItem(new SideNavItem("Accounts", AccountsView.class));
            nav.addItem(new SideNavItem("Status", StatusView.class));
        }
        addToDrawer(nav);
    }
}
