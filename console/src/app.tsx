/** The app: server state (TanStack Query), the theme, and the routes (each page loaded on demand). */
import { Theme } from '@radix-ui/themes';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useMemo, useState } from 'react';
import { RouterProvider } from 'react-router/dom';
import { ApiError } from './api/client';
import { type Appearance, appearanceOf, parseThemeChoice, THEME_STORAGE_KEY, type ThemeChoice, toggledChoice } from './lib/theme';
import { router } from './routes';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      refetchOnWindowFocus: true,
      // A refusal or a missing resource will not change by asking again.
      retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
    },
    mutations: { retry: false },
  },
});

interface ThemeState {
  appearance: Appearance;
  toggle: () => void;
}
const ThemeContext = createContext<ThemeState>({ appearance: 'light', toggle: () => {} });
export const useTheme = () => useContext(ThemeContext);

function useSystemPrefersDark(): boolean {
  const query = '(prefers-color-scheme: dark)';
  const [dark, setDark] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const media = window.matchMedia(query);
    const listener = (event: MediaQueryListEvent) => setDark(event.matches);
    media.addEventListener('change', listener);
    return () => media.removeEventListener('change', listener);
  }, []);
  return dark;
}

function readChoice(): ThemeChoice {
  try {
    return parseThemeChoice(localStorage.getItem(THEME_STORAGE_KEY));
  } catch {
    return 'system';
  }
}

export function App() {
  const systemDark = useSystemPrefersDark();
  const [choice, setChoice] = useState<ThemeChoice>(readChoice);
  const appearance = appearanceOf(choice, systemDark);
  const theme = useMemo<ThemeState>(
    () => ({
      appearance,
      toggle: () => {
        const next = toggledChoice(appearance);
        setChoice(next);
        try {
          localStorage.setItem(THEME_STORAGE_KEY, next);
        } catch {
          // private mode: the choice lasts for this page only
        }
      },
    }),
    [appearance],
  );
  useEffect(() => {
    document.documentElement.style.colorScheme = appearance;
  }, [appearance]);

  return (
    <ThemeContext.Provider value={theme}>
      <Theme appearance={appearance} accentColor="indigo" grayColor="slate" radius="medium" className="gh-full-height">
        <QueryClientProvider client={queryClient}>
          <RouterProvider router={router} />
        </QueryClientProvider>
      </Theme>
    </ThemeContext.Provider>
  );
}
