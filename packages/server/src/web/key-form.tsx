import { useState, type FormEvent } from 'react';

interface KeyFormProps {
  /** Called once Sluice accepted the key and set the session cookie. */
  onSignedIn: () => void;
}

/**
 * Shown when Sluice asks for a client key (401). The key goes once to `POST /v1/stream-tokens`, which
 * answers with an HttpOnly session cookie; the page keeps nothing of the key itself, and its requests
 * (and an EventSource's) carry the cookie from then on.
 */
export function KeyForm({ onSignedIn }: KeyFormProps) {
  const [key, setKey] = useState('');
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      const response = await fetch('/v1/stream-tokens', {
        method: 'POST',
        headers: { authorization: `Bearer ${key.trim()}`, 'content-type': 'application/json' },
        body: JSON.stringify({ cookie: true }),
      });
      if (!response.ok) {
        const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
        setProblem(body.error?.message ?? `HTTP ${response.status}`);
        return;
      }
      setKey('');
      onSignedIn();
    } catch (error) {
      setProblem((error as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="notice key-form" onSubmit={(event) => void submit(event)} data-testid="key-form">
      <label>
        <span>This Sluice needs a client key</span>
        <input type="password" autoComplete="off" placeholder="sk-sluice-…" aria-label="Client key" value={key} onChange={(event) => setKey(event.target.value)} />
      </label>
      <button type="submit" disabled={busy || key.trim() === ''}>
        Use this key
      </button>
      {problem !== undefined && (
        <p className="key-form-problem" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}
