/**
 * A table in the UI kit's look, named by a caption, that scrolls sideways on a narrow window. When
 * it does scroll, its region can be focused, so keyboard users can scroll it too; when it fits, it
 * adds no tab stop.
 */
import { type ReactNode, useEffect, useRef, useState } from 'react';

export function DataTable({
  label,
  size = '2',
  className,
  children,
}: {
  /** The table's accessible name (a visually hidden caption). */
  label: ReactNode;
  size?: '1' | '2';
  className?: string;
  children: ReactNode;
}) {
  const region = useRef<HTMLDivElement>(null);
  const [scrolls, setScrolls] = useState(false);
  useEffect(() => {
    const element = region.current;
    if (!element) return;
    const measure = () => setScrolls(element.scrollWidth > element.clientWidth + 1);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    if (element.firstElementChild) observer.observe(element.firstElementChild);
    return () => observer.disconnect();
  }, []);
  return (
    <div
      ref={region}
      className={['rt-TableRoot', `rt-r-size-${size}`, 'rt-variant-surface', 'gh-table', className].filter(Boolean).join(' ')}
      {...(scrolls ? { tabIndex: 0, role: 'region', 'aria-label': typeof label === 'string' ? label : undefined } : {})}
    >
      <table className="rt-TableRootTable">
        <caption className="gh-sr-only">{label}</caption>
        {children}
      </table>
    </div>
  );
}
