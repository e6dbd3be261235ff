/** Light, dark, or the system's choice, remembered in this browser. */
export type ThemeChoice = 'light' | 'dark' | 'system';
export type Appearance = 'light' | 'dark';

export const THEME_STORAGE_KEY = 'gatehouse.theme';

export function parseThemeChoice(value: string | null | undefined): ThemeChoice {
  return value === 'light' || value === 'dark' ? value : 'system';
}

/** What the page shows for a choice, given whether the system prefers dark. */
export function appearanceOf(choice: ThemeChoice, systemPrefersDark: boolean): Appearance {
  if (choice === 'system') return systemPrefersDark ? 'dark' : 'light';
  return choice;
}

/** The choice after the theme button: the other appearance than the one shown. */
export function toggledChoice(shown: Appearance): ThemeChoice {
  return shown === 'dark' ? 'light' : 'dark';
}
