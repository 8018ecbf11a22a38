import { useCallback, useEffect, useRef, useState, type RefObject } from 'react';

/** How close to the end of the page counts as at the end: a rounding pixel or two under zoom. */
const atEndPx = 4;

export interface FollowScroll {
  /** True while the page keeps its end in view as the content grows. */
  following: boolean;
  /** Scrolls to the end and follows again: after Send, Try again, or "Jump to the newest". */
  follow(): void;
}

/**
 * Keeps the end of the page (the newest text, the notices and the input box below it) in view while
 * `content` grows or the window shrinks, until the reader scrolls up, away from the end; follows again
 * once they scroll back down to it.
 *
 * Only a scroll that moves up, away from the end, lets go: content that grows moves the end down
 * without moving the page, so it never reads as the reader leaving, however much arrives between two
 * scroll events. Growth is seen by a ResizeObserver, which runs after layout and before paint, so the
 * page never shows a frame with the newest line hidden.
 */
export function useFollowScroll(content: RefObject<HTMLElement | null>): FollowScroll {
  const followingRef = useRef(true);
  const [following, setFollowing] = useState(true);
  const setFollow = useCallback((value: boolean) => {
    followingRef.current = value;
    setFollowing(value);
  }, []);

  useEffect(() => {
    const element = content.current;
    if (element === null) return;
    let lastScrollY = window.scrollY;
    const onScroll = (): void => {
      const scrollY = window.scrollY;
      if (document.documentElement.scrollHeight - scrollY - window.innerHeight <= atEndPx) setFollow(true);
      else if (scrollY < lastScrollY) setFollow(false);
      lastScrollY = scrollY;
    };
    const keepEndInView = (): void => {
      if (followingRef.current) scrollToEnd();
    };
    const observer = new ResizeObserver(keepEndInView);
    observer.observe(element);
    window.addEventListener('scroll', onScroll, { passive: true });
    window.addEventListener('resize', keepEndInView);
    return () => {
      observer.disconnect();
      window.removeEventListener('scroll', onScroll);
      window.removeEventListener('resize', keepEndInView);
    };
  }, [content, setFollow]);

  const follow = useCallback(() => {
    setFollow(true);
    scrollToEnd();
  }, [setFollow]);
  return { following, follow };
}

function scrollToEnd(): void {
  window.scrollTo({ top: document.documentElement.scrollHeight, behavior: 'instant' });
}
