import { Alert, Box, Button, Group, Loader, Switch, Text } from '@mantine/core';
import { ApiProblem, readText } from '@saas/api-client';
import { problemMessage, useApi } from '@saas/ui';
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';

const TAIL = 200;
/** Keep the browser responsive on chatty instances: only the newest part of the log stays in memory. */
const MAX_CHARS = 400_000;

type StreamState = { kind: 'loading' } | { kind: 'streaming' } | { kind: 'ended' } | { kind: 'error'; message: string };

/**
 * Odoo's log: the last 200 lines, then (in follow mode) new lines as they come — read from the streaming
 * text response with fetch, since the request needs the Bearer header.
 */
export function LogsViewer({ instanceId, running }: { instanceId: string; running: boolean }) {
  const api = useApi();
  const [follow, setFollow] = useState(running);
  const [wrap, setWrap] = useState(true);
  const [text, setText] = useState('');
  const [state, setState] = useState<StreamState>({ kind: 'loading' });
  const [generation, setGeneration] = useState(0);
  const [atBottom, setAtBottom] = useState(true);
  const boxRef = useRef<HTMLPreElement>(null);
  const stick = useRef(true);

  useEffect(() => {
    void generation;
    const controller = new AbortController();
    let buffer = '';
    let frame = 0;
    const flush = () => {
      frame = 0;
      setText(buffer);
    };
    setText('');
    setState({ kind: 'loading' });
    (async () => {
      try {
        const { data, response, error } = await api.GET('/instances/{instanceId}/logs', {
          params: { path: { instanceId }, query: { tail: TAIL, follow: follow ? 'true' : 'false' } },
          parseAs: 'stream',
          signal: controller.signal,
        });
        if (!response.ok || !data) throw ApiProblem.from(error, response);
        setState({ kind: 'streaming' });
        await readText(
          data,
          (chunk) => {
            buffer += chunk;
            if (buffer.length > MAX_CHARS) buffer = buffer.slice(buffer.indexOf('\n', buffer.length - MAX_CHARS) + 1);
            // One render per frame, however many chunks arrive.
            frame ||= requestAnimationFrame(flush);
          },
          controller.signal,
        );
        flush();
        setState({ kind: 'ended' });
      } catch (e) {
        if (!controller.signal.aborted) setState({ kind: 'error', message: problemMessage(e) });
      }
    })();
    return () => {
      controller.abort();
      cancelAnimationFrame(frame);
    };
  }, [api, instanceId, follow, generation]);

  // Auto-scroll while the reader is at the bottom; scrolling up pauses it.
  // biome-ignore lint/correctness/useExhaustiveDependencies: new text is the trigger
  useLayoutEffect(() => {
    const box = boxRef.current;
    if (box && stick.current) box.scrollTop = box.scrollHeight;
  }, [text]);

  const onScroll = useCallback(() => {
    const box = boxRef.current;
    if (!box) return;
    const bottom = box.scrollHeight - box.scrollTop - box.clientHeight < 24;
    stick.current = bottom;
    setAtBottom(bottom);
  }, []);

  const jumpToLatest = () => {
    const box = boxRef.current;
    if (!box) return;
    stick.current = true;
    setAtBottom(true);
    box.scrollTop = box.scrollHeight;
  };

  const statusText =
    state.kind === 'loading'
      ? 'Loading…'
      : state.kind === 'streaming'
        ? follow
          ? 'Following new lines'
          : 'Loading…'
        : state.kind === 'ended'
          ? follow
            ? 'The log stream ended.'
            : `Last ${TAIL} lines`
          : '';

  return (
    <Box>
      <Group justify="space-between" mb="sm" wrap="wrap" gap="sm">
        <Group gap="md" wrap="wrap">
          <Switch label="Follow new lines" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} />
          <Switch label="Wrap long lines" checked={wrap} onChange={(e) => setWrap(e.currentTarget.checked)} />
        </Group>
        <Group gap="xs">
          <Text size="sm" c="dimmed" role="status">
            {state.kind === 'loading' || (state.kind === 'streaming' && follow) ? <Loader size={10} mr={6} aria-hidden /> : null}
            {statusText}
          </Text>
          <Button size="xs" variant="default" onClick={() => setGeneration((g) => g + 1)}>
            Reload
          </Button>
        </Group>
      </Group>
      {state.kind === 'error' && (
        <Alert color="red" role="alert" mb="sm" title="Could not read the log">
          {state.message}
        </Alert>
      )}
      <Box pos="relative">
        <Box
          component="pre"
          ref={boxRef}
          onScroll={onScroll}
          // Focusable so keyboard users can scroll it; not a live region (a log flood would drown a screen reader).
          tabIndex={0}
          aria-label="Odoo log"
          aria-live="off"
          m={0}
          p="sm"
          ff="monospace"
          fz={12}
          bg="dark.8"
          c="gray.2"
          style={{
            height: 'min(60vh, 520px)',
            overflow: 'auto',
            whiteSpace: wrap ? 'pre-wrap' : 'pre',
            wordBreak: wrap ? 'break-all' : undefined,
            borderRadius: 'var(--mantine-radius-md)',
            lineHeight: 1.5,
          }}
        >
          {text || (state.kind === 'ended' ? 'The log is empty.' : '')}
        </Box>
        {!atBottom && (
          <Button size="xs" pos="absolute" bottom={12} right={20} onClick={jumpToLatest}>
            Jump to latest
          </Button>
        )}
      </Box>
    </Box>
  );
}
