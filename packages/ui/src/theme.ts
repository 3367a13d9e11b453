import { Alert, type CSSVariablesResolver, createTheme, Modal } from '@mantine/core';

export const theme = createTheme({
  primaryColor: 'indigo',
  primaryShade: { light: 7, dark: 4 },
  // Mantine's darkest orange and teal (shade 9) stay under WCAG AA's 4.5:1 as badge text on their light
  // backgrounds (3.6:1 and 4.3:1) and behind white text; these shades 9 reach 5:1 and more.
  colors: {
    orange: ['#fff4e6', '#ffe8cc', '#ffd8a8', '#ffc078', '#ffa94d', '#ff922b', '#fd7e14', '#f76707', '#e8590c', '#ad3a0b'],
    teal: ['#e6fcf5', '#c3fae8', '#96f2d7', '#63e6be', '#38d9a9', '#20c997', '#12b886', '#0ca678', '#099268', '#077352'],
  },
  defaultRadius: 'md',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  headings: { fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif' },
  focusRing: 'auto',
  components: {
    // Light alerts colour their title like the background (yellow on yellow); keep titles at text colour.
    Alert: Alert.extend({ styles: { title: { color: 'var(--mantine-color-text)' } } }),
    // Mantine's close button is an icon only: give it a name (axe's button-name).
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } }),
  },
});

// Mantine's default "dimmed" grey (gray.6) is below WCAG AA for body text on white; use gray.7. Its field
// error red (red.6, 3.3:1) too: red.8 reads at 5.7:1.
export const cssVariablesResolver: CSSVariablesResolver = (t) => ({
  variables: {},
  light: { '--mantine-color-dimmed': t.colors.gray[7] ?? '#495057', '--mantine-color-error': t.colors.red[8] ?? '#e03131' },
  dark: { '--mantine-color-dimmed': t.colors.dark[1] ?? '#b8b8b8' },
});
