import type { ReactNode } from 'react';
import { DataSourceView } from './DataSourceView.tsx';
import { Link, useLocation } from './router.tsx';
import { TasksList } from './TasksList.tsx';
import { TaskTracker } from './TaskTracker.tsx';
import { Uploader } from './Uploader.tsx';

export function App() {
  const { path, query } = useLocation();
  const taskMatch = /^\/tasks\/([^/]+)\/?$/.exec(path);
  const sourceMatch = /^\/sources\/?([^/]*)\/?$/.exec(path);
  const section =
    path === '/' ? 'upload' : path.startsWith('/tasks') ? 'tasks' : path.startsWith('/sources') ? 'sources' : '';
  let page: ReactNode;
  if (path === '/') page = <Uploader />;
  else if (path === '/tasks' || path === '/tasks/') page = <TasksList key={query.toString()} query={query} />;
  else if (taskMatch?.[1]) page = <TaskPage key={taskMatch[1]} taskId={decodeURIComponent(taskMatch[1])} />;
  else if (sourceMatch) page = <DataSourceView name={decodeURIComponent(sourceMatch[1] ?? '')} />;
  else
    page = (
      <section>
        <h1>Not found</h1>
        <p>
          Nothing lives at <code>{path}</code>. <Link href="/">Go to the uploader</Link>.
        </p>
      </section>
    );
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <Link href="/" className="brand">
          Tributary
        </Link>
        <nav aria-label="Main">
          <Link href="/" aria-current={section === 'upload' ? 'page' : undefined}>
            Upload
          </Link>
          <Link href="/tasks" aria-current={section === 'tasks' ? 'page' : undefined}>
            Tasks
          </Link>
          <Link href="/sources" aria-current={section === 'sources' ? 'page' : undefined}>
            Data sources
          </Link>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </>
  );
}

function TaskPage({ taskId }: { taskId: string }) {
  return (
    <>
      <p className="breadcrumb">
        <Link href="/tasks">← All tasks</Link>
      </p>
      <TaskTracker taskId={taskId} withRejections />
    </>
  );
}
