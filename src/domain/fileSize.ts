/**
 * A file's size as people read it: «605 octets», «12 Ko», «1,5 Mo» (1 Ko = 1 024 octets, as the
 * file managers of phones and computers count). Pure.
 */
export function fileSize(bytes: number): string {
  const KO = 1024
  const MO = 1024 * KO
  if (bytes < KO) return `${bytes} octet${bytes > 1 ? 's' : ''}`
  // 1 023,6 Ko and more read as 1,0 Mo, not «1024 Ko».
  if (Math.round(bytes / KO) < KO) return `${Math.round(bytes / KO)} Ko`
  return `${(bytes / MO).toFixed(1).replace('.', ',')} Mo`
}
