import { AppShell, Avatar, Burger, Group, Menu, NavLink, Text, UnstyledButton, VisuallyHidden } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { type ReactNode, useEffect, useRef } from 'react';
import { Link, Outlet, useLocation, useNavigate } from 'react-router';
import { useSession } from '../session/session-context';

export interface NavItem {
  label: string;
  to: string;
  /** Active only on exact match (for "/"). */
  end?: boolean;
}

export interface UserMenuItem {
  label: string;
  to: string;
}

export interface AppLayoutProps {
  productName: string;
  nav: NavItem[];
  userMenu?: UserMenuItem[];
  /** Extra header content, e.g. the tenant switcher. */
  headerExtra?: ReactNode;
  children?: ReactNode;
}

function initials(name: string): string {
  return (
    name
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, 2)
      .map((p) => p[0]?.toUpperCase())
      .join('') || '?'
  );
}

export function AppLayout({ productName, nav, userMenu = [], headerExtra, children }: AppLayoutProps) {
  const [opened, { toggle, close }] = useDisclosure(false);
  const { me, logout } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const mainRef = useRef<HTMLElement>(null);
  const firstRender = useRef(true);

  // After client-side navigation, move focus to the new page so screen readers announce it.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the pathname is the trigger, not an input
  useEffect(() => {
    close();
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    const heading = mainRef.current?.querySelector<HTMLElement>('h1');
    (heading ?? mainRef.current)?.focus();
  }, [location.pathname, close]);

  const isActive = (item: NavItem) =>
    item.end ? location.pathname === item.to : location.pathname === item.to || location.pathname.startsWith(`${item.to}/`);

  return (
    <AppShell header={{ height: 60 }} navbar={{ width: 240, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <a href="#main-content" className="skip-link">
        Skip to content
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger
              opened={opened}
              onClick={toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label={opened ? 'Close navigation' : 'Open navigation'}
            />
            <Text component={Link} to="/" fw={700} size="lg" c="inherit" td="none" style={{ whiteSpace: 'nowrap' }}>
              {productName}
            </Text>
          </Group>
          <Group gap="sm" wrap="nowrap">
            {headerExtra}
            {me && (
              <Menu position="bottom-end" withinPortal>
                <Menu.Target>
                  <UnstyledButton aria-label={`Account menu for ${me.user.name || me.user.email}`}>
                    <Group gap="xs" wrap="nowrap">
                      {/* Initials drawn by CSS: decoration, not part of the button's visible label (WCAG 2.5.3). */}
                      <Avatar radius="xl" size="sm" color="indigo" aria-hidden>
                        <span className="avatar-initials" data-initials={initials(me.user.name || me.user.email)} />
                      </Avatar>
                      <Text size="sm" visibleFrom="sm">
                        {me.user.name || me.user.email}
                      </Text>
                    </Group>
                  </UnstyledButton>
                </Menu.Target>
                <Menu.Dropdown>
                  <Menu.Label>{me.user.email}</Menu.Label>
                  {userMenu.map((item) => (
                    <Menu.Item key={item.to} onClick={() => navigate(item.to)}>
                      {item.label}
                    </Menu.Item>
                  ))}
                  <Menu.Divider />
                  <Menu.Item
                    color="red"
                    onClick={async () => {
                      await logout();
                      navigate('/login');
                    }}
                  >
                    Log out
                  </Menu.Item>
                </Menu.Dropdown>
              </Menu>
            )}
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main navigation">
        <VisuallyHidden>
          <h2>Navigation</h2>
        </VisuallyHidden>
        {nav.map((item) => (
          <NavLink
            key={item.to}
            component={Link}
            to={item.to}
            label={item.label}
            active={isActive(item)}
            aria-current={isActive(item) ? 'page' : undefined}
          />
        ))}
      </AppShell.Navbar>
      <AppShell.Main id="main-content" ref={mainRef} tabIndex={-1} style={{ outline: 'none' }}>
        {children ?? <Outlet />}
      </AppShell.Main>
    </AppShell>
  );
}
