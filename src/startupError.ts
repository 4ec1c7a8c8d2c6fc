/**
 * Start-up failures, said to a person: what went wrong and what to do, never «undefined».
 * A `StartupError` is one we foresaw; `explainStartupError` also recognises the usual faults
 * (a busy port, a database that does not answer, a refused password…) and, for anything else,
 * still names the error and says where its detail is.
 */
export class StartupError extends Error {
  constructor(
    /** What went wrong, in one sentence (no final full stop). */
    readonly problem: string,
    /** What to do about it. */
    readonly action: string,
    /** Extra lines worth showing (e.g. the last lines a child process wrote). */
    readonly detail?: string,
  ) {
    super(problem)
    this.name = 'StartupError'
  }
}

export interface Explanation {
  problem: string
  action: string
  /** Shown below, for errors we did not foresee (their stack) or a child process's output. */
  detail?: string
}

/** What a system or database error may say about itself (Node's net and fs errors, node-pg's). */
interface SystemLikeError {
  code?: string
  syscall?: string
  address?: string
  port?: number
  hostname?: string
  message?: string
  name?: string
  stack?: string
  path?: string
}

/** The fields of a thrown object, each kept only when it has the type it should (anything can be thrown). */
function systemLike(err: object): SystemLikeError {
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined)
  return {
    code: 'code' in err ? text(err.code) : undefined,
    syscall: 'syscall' in err ? text(err.syscall) : undefined,
    address: 'address' in err ? text(err.address) : undefined,
    port: 'port' in err && typeof err.port === 'number' ? err.port : undefined,
    hostname: 'hostname' in err ? text(err.hostname) : undefined,
    message: 'message' in err ? text(err.message) : undefined,
    name: 'name' in err ? text(err.name) : undefined,
    stack: 'stack' in err ? text(err.stack) : undefined,
    path: 'path' in err ? text(err.path) : undefined,
  }
}

export function explainStartupError(err: unknown): Explanation {
  if (err instanceof StartupError) return { problem: err.problem, action: err.action, detail: err.detail }
  if (err === undefined || err === null || (typeof err !== 'object' && typeof err !== 'string')) {
    return {
      problem: 'une erreur sans description est survenue',
      action: 'relancez avec LOG_LEVEL=debug pour lire le journal détaillé, et signalez-la avec ce journal',
    }
  }
  if (typeof err === 'string') {
    return { problem: err || 'une erreur sans description est survenue', action: 'relancez avec LOG_LEVEL=debug pour le détail' }
  }
  const e = systemLike(err)
  const where = e.address ? `${e.address}${e.port ? `:${e.port}` : ''}` : undefined
  if (e.code === 'EADDRINUSE' && e.syscall === 'listen') {
    const port = e.port ?? '?'
    return {
      problem: `le port ${port} est déjà utilisé par un autre programme`,
      action: `choisissez un autre port (par exemple PORT=${typeof e.port === 'number' ? e.port + 1 : 3001} npm start), ou arrêtez le programme qui l'occupe (\`ss -ltnp | grep :${port}\` le montre)`,
    }
  }
  if (e.code === 'EACCES' && e.syscall === 'listen') {
    return {
      problem: `ce compte n'a pas le droit d'écouter sur le port ${e.port ?? '?'}`,
      action: 'choisissez un port au-dessus de 1023 (PORT=3000), un proxy inverse se chargeant des ports 80 et 443',
    }
  }
  if (e.code === 'ENOENT' && e.path !== undefined) {
    return {
      problem: `le fichier ${e.path} est introuvable`,
      action: 'vérifiez le chemin (il se lit depuis le dossier où la commande est lancée)',
    }
  }
  if (e.code === 'ECONNREFUSED') {
    return {
      problem: `rien ne répond à l'adresse ${where ?? 'de la base de données'} (PostgreSQL)`,
      action:
        'démarrez PostgreSQL ou corrigez DATABASE_URL ; pour essayer le site sans PostgreSQL installé, retirez DATABASE_URL : npm start lance alors une base embarquée',
    }
  }
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') {
    return {
      problem: `l'hôte ${e.hostname ?? where ?? ''} est introuvable`.replace(/\s+$/, ''),
      action: "vérifiez le nom d'hôte de DATABASE_URL (ou de REDIS_URL, SMTP_URL) et la résolution DNS de cette machine",
    }
  }
  if (e.code === 'ETIMEDOUT') {
    return {
      problem: `la connexion à ${where ?? 'un service'} a expiré`,
      action: 'vérifiez que le service est démarré et joignable depuis cette machine (pare-feu, adresse de DATABASE_URL)',
    }
  }
  if (e.code === '28P01' || e.code === '28000') {
    return {
      problem: `PostgreSQL refuse l'identification : ${e.message}`,
      action: "corrigez l'utilisateur ou le mot de passe de DATABASE_URL (ou l'entrée de pg_hba.conf)",
    }
  }
  if (e.code === '3D000') {
    return {
      problem: `la base de données n'existe pas : ${e.message}`,
      action: 'créez-la (createdb <nom>) ou corrigez le nom à la fin de DATABASE_URL',
    }
  }
  if (e.code === '42501') {
    return {
      problem: `droits insuffisants dans PostgreSQL : ${e.message}`,
      action: 'les migrations se lancent avec le rôle propriétaire du schéma (voir docs/deployment.md, « Rôles de la base »)',
    }
  }
  if (typeof e.message === 'string' && /migration directory is corrupt/i.test(e.message)) {
    return {
      problem: `la base contient des migrations que ce code ne connaît pas (${e.message.replace(/^.*missing:\s*/i, '')})`,
      action: 'mettez le code à jour (git pull, puis npm start), ou utilisez une autre base',
    }
  }
  const message = (typeof e.message === 'string' && e.message.trim()) || e.name || 'erreur sans message'
  return {
    problem: `erreur inattendue : ${message}`,
    action: 'lisez le détail ci-dessous ; relancez avec LOG_LEVEL=debug pour le journal complet, et signalez-la avec ce journal',
    detail: typeof e.stack === 'string' ? e.stack : undefined,
  }
}

/** The text printed when a process or command fails: «<title> : <problem>.» then what to do. */
export function startupFailureText(title: string, err: unknown): string {
  const x = explainStartupError(err)
  const lines = [`${title} : ${x.problem}.`, `Que faire : ${x.action}.`]
  if (x.detail) lines.push('', x.detail)
  return `${lines.join('\n')}\n`
}

/** Writes the start-up failure to stderr and ends the process with code 1. */
export function exitOnStartupFailure(title: string, err: unknown): never {
  process.stderr.write(startupFailureText(title, err))
  process.exit(1)
}
