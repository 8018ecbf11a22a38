import { useCallback, useEffect, useRef, useState } from 'react';

interface CollectionPickerProps {
  /** The chosen collection, or '' to answer without one. */
  value: string;
  onChange: (collection: string) => void;
  disabled: boolean;
}

type Listing = { state: 'loading' } | { state: 'ready'; names: string[] } | { state: 'failed'; message: string };

/**
 * Chooses the collection answers are grounded in, from `GET /v1/collections`. The list is fetched when
 * the page opens and again whenever the picker gets focus, so collections ingested meanwhile appear.
 */
export function CollectionPicker({ value, onChange, disabled }: CollectionPickerProps) {
  const [listing, setListing] = useState<Listing>({ state: 'loading' });
  const inFlight = useRef<AbortController | undefined>(undefined);

  const refresh = useCallback(() => {
    inFlight.current?.abort();
    const controller = new AbortController();
    inFlight.current = controller;
    fetch('/v1/collections', { signal: controller.signal, headers: { accept: 'application/json' } })
      .then(async (response) => {
        const body = (await response.json()) as { collections?: { name: string }[]; error?: { message: string } };
        if (!response.ok || body.collections === undefined) throw new Error(body.error?.message ?? `HTTP ${response.status}`);
        setListing({ state: 'ready', names: body.collections.map((collection) => collection.name) });
      })
      .catch((error: unknown) => {
        if (!controller.signal.aborted) setListing({ state: 'failed', message: (error as Error).message });
      });
  }, []);

  useEffect(() => {
    refresh();
    return () => inFlight.current?.abort();
  }, [refresh]);

  const names = listing.state === 'ready' ? listing.names : [];
  // A chosen collection stays listed while a refresh is loading or after it was deleted, so the choice shows.
  const options = value !== '' && !names.includes(value) ? [value, ...names] : names;
  return (
    <label className="collection-picker" title={listing.state === 'failed' ? `Collections unavailable: ${listing.message}` : undefined}>
      <span>Answer from</span>
      <select
        aria-label="Collection"
        data-testid="collection-picker"
        value={value}
        disabled={disabled}
        onFocus={refresh}
        onChange={(event) => onChange(event.target.value)}
      >
        <option value="">the model alone</option>
        {options.map((name) => (
          <option key={name} value={name}>
            collection {name}
          </option>
        ))}
      </select>
    </label>
  );
}
